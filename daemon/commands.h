/* The subcommands of SPEC §8; each parses its own argv (argv[0] = name). */
#ifndef XS_COMMANDS_H
#define XS_COMMANDS_H

int cmd_ingest(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_daemon(int argc, char **argv);

#endif

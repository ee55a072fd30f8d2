/* The subcommands of SPEC §8; each parses its own argv (argv[0] = name). */
#ifndef XS_COMMANDS_H
#define XS_COMMANDS_H

int cmd_ingest(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_rules_diff(int argc, char **argv);   /* xueshi rules diff (argv[0] = "diff") */
int cmd_rules_status(int argc, char **argv); /* xueshi rules status */
int cmd_recompute(int argc, char **argv);
int cmd_daemon(int argc, char **argv);
int cmd_certify(int argc, char **argv);
int cmd_publicity(int argc, char **argv);

#endif

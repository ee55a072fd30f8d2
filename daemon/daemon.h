/* daemon — `xueshi daemon`: watch the inbox until SIGTERM/SIGINT. */
#ifndef XS_DAEMON_H
#define XS_DAEMON_H
#include "config.h"

/* Runs until stopped; 0 after a clean stop, 1 when it cannot start. */
int daemon_run(const daemon_config *cfg);

#endif

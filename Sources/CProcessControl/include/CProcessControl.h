#ifndef PINGATE_CPROCESSCONTROL_H
#define PINGATE_CPROCESSCONTROL_H

/// Marks the process non-dumpable (no core dumps, no ptrace by other users). Returns 0 on success.
int pingate_disable_dumpable(void);

#endif

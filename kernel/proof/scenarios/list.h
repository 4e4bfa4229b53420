/*
 * The scenarios a boot can run (scenario=NAME), one per line:
 *   SCENARIO(name, "one-line description")
 * Each needs a function `int scenario_<name>(const struct bootargs *)`
 * returning the exit status. The first entry is the default.
 */
SCENARIO(selftest, "run the in-kernel self-tests and report them as KTAP")
SCENARIO(imbalance, "all tasks start on one hart; idle harts steal (seeded victims, steal_k per attempt)")
SCENARIO(pingpong, "call-function IPI ping-pong between the boot hart and the first other hart")
SCENARIO(storm, "every hart floods every other hart's mailbox; then broadcast and stop")
SCENARIO(mixed, "seeded spawn, yield, sleep, block/wake and migrate, some tasks pinned")
SCENARIO(stress, "10,000 short tasks, each completes exactly once")
SCENARIO(ladder, "the scheduler proof ladder: one KTAP case per rung (fault=NAME breaks one)")

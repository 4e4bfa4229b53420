/*
 * The scenarios a boot can run (scenario=NAME), one per line:
 *   SCENARIO(name, "one-line description")
 * Each needs a function `int scenario_<name>(const struct bootargs *)`
 * returning the exit status. The first entry is the default.
 */
SCENARIO(selftest, "run the in-kernel self-tests and report them as KTAP")

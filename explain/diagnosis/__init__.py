"""When training goes wrong: read a run's log or history, diagnose it, and reproduce classic faults on demand."""

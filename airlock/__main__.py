"""`python -m airlock` runs the command line."""

from airlock.cli.main import main

main()

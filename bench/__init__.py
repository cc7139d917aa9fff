"""`make bench`: Shanhuo under load, on this machine, with numbers anyone can reproduce.

gunicorn serves the app with production settings on PostgreSQL filled with generated farms and
listings; wrk drives it from a second process; the result is a markdown table (stdout and
bench/results/latest.md). See bench/__main__.py for the steps and the flags.
"""

"""One verification, end to end: extract, gather network evidence, evaluate, render.

Shared by the HTTP handlers and the command line so both give the same answer.
"""

"""The `relance` command, one module per group of subcommands.

Each module adds its subcommands to the parser (`add_parsers`) and holds their text in
French and English; `relance.cli` assembles them and runs the one asked for. Commands are
thin: they parse arguments, read the clock once, call the services and print.
"""

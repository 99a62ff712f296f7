"""The command line: the same core calls as the TUI, with terminal prompts and --json output."""

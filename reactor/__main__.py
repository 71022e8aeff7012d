from reactor._cli import entry

entry()

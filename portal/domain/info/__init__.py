"""Information pages (F-80 … F-82): news, the directory, help, one search over them, and the
operators who write them (docs/information.md, docs/operator.md)."""

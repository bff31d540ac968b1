"""Activities: the only code that touches PostgreSQL and the outside world on a case's behalf."""

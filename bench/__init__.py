"""`python -m bench`: the live room under load (N phone sockets, R posts/s, what reached whom)."""

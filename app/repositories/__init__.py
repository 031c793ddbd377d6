"""Every query lives here. List queries take the caller's policy filter as a SQL clause."""

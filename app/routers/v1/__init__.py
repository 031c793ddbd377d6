"""Version 1 of the API. Each router carries its full prefix, so a route's own path is the
template that logs and metrics report."""

PREFIX = "/v1"

"""The HTTP adapter: the only package that imports Starlette. Thin: parse, validate, call a resource, render."""

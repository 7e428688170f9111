"""The public pages: server-rendered HTML in ar, fr, en and zgh, read through the GraphQL schema
with the reader's rights (`rendering.read`). One module a page kind, its template beside the
others in tracker/web/templates (each extends base.html)."""

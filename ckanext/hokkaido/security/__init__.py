"""What keeps the portal's own origin safe (README, "Security").

* :mod:`.csrf`: CKAN's token check holds for every request that a browser's
  cookie authenticates, whatever requests with an API token came before;
* :mod:`.headers`: every answer says who may frame it, and an uploaded
  file is served as the bytes it holds, never as a page of the portal;
* :mod:`.uploads`: which resource ids a caller may choose, and what a
  deleted or purged resource leaves behind (nothing).
"""

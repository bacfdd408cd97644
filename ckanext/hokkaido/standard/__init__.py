"""自治体標準オープンデータセット merged across Hokkaido (issue 30).

* :mod:`.columns` the standard datasets' columns in both editions, and a
  table's headers matched to them (pure);
* :mod:`.rows` one row checked and converted (pure);
* :mod:`.merge` the merged DataStore tables, rebuilt incrementally;
* :mod:`.action`, :mod:`.auth`, :mod:`.schema` the API;
* :mod:`.views` the pages and the downloads.
"""

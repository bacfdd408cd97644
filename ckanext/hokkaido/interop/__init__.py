"""Being read by other tools: DCAT and schema.org (:mod:`.dcat`, the
profiles of ckanext-dcat; :mod:`.dcat_views`, its catalogue's pages kept
while nothing changed, private datasets not found) and the search engines' sitemap (:mod:`.sitemap`,
:mod:`.views`)."""

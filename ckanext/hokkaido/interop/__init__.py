"""Being read by other tools: search engines' sitemap (:mod:`.sitemap`,
:mod:`.views`); DCAT and schema.org come here too (issue 32)."""

"""The prefecture's data inventory (道保有データのリスト), read and written:
:mod:`.file` is the file's format (its columns, the encodings and layouts it
comes in, how a row becomes a dataset, CSV and XLSX out) and talks to no
CKAN; :mod:`.importer` applies a file to the portal through CKAN's actions
and exports the portal's inventory datasets."""

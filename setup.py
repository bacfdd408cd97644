from setuptools import setup, find_namespace_packages

setup(
    name="ckanext-hokkaido",
    version="0.1.0",
    description="Hokkaido open-data portal: prefecture schema, municipal "
                "harvesters and publishing tracker for CKAN 2.12 (and 2.11)",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="AGPL-3.0-or-later",
    python_requires=">=3.9",
    packages=find_namespace_packages(include=["ckanext.hokkaido", "ckanext.hokkaido.*",
                                              "harvesters", "harvesters.*"]),
    include_package_data=True,
    package_data={"ckanext.hokkaido": [
        "config_declaration.yaml", "harvest/config_declaration.yaml", "schemas/*.yaml", "data/*.csv", "data/*.json",
        "templates/**/*.html", "i18n/**/*", "migration/**/*",
        "public/**/*", "assets/**/*",
    ], "harvesters": ["data/*.csv"]},
    zip_safe=False,
    entry_points={
        "ckan.plugins": [
            "hokkaido = ckanext.hokkaido.plugin:HokkaidoPlugin",
            "hokkaido_harvest = ckanext.hokkaido.harvest.plugin:HokkaidoHarvestPlugin",
            "hokkaido_tables = ckanext.hokkaido.tables.plugin:HokkaidoTablesPlugin",
            "hokkaido_ckan_harvester = ckanext.hokkaido.harvest.plugin:HokkaidoCkanHarvester",
            "hokkaido_shirasagi_harvester = ckanext.hokkaido.harvest.plugin:HokkaidoShirasagiHarvester",
            "hokkaido_dcat_harvester = ckanext.hokkaido.harvest.plugin:HokkaidoDcatHarvester",
            "hokkaido_catalog_csv_harvester = ckanext.hokkaido.harvest.plugin:HokkaidoCatalogCsvHarvester",
            "hokkaido_webpage_harvester = ckanext.hokkaido.harvest.plugin:HokkaidoWebpageHarvester",
        ],
        "ckan.rdf.profiles": [
            # the prefecture's fields in DCAT, after ckanext-dcat's euro_dcat_ap_3 (interop/dcat.py)
            "hokkaido_dcat = ckanext.hokkaido.interop.dcat:HokkaidoDCATProfile",
            "hokkaido_schemaorg = ckanext.hokkaido.interop.dcat:HokkaidoSchemaOrgProfile",
        ],
        "ckan.test_plugins": [
            # a harvester that fetches without our guard (tests/harvest/test_outbound_guard.py)
            "hokkaido_test_unguarded_harvester = tests.harvest.unguarded:UnguardedHarvester",
        ],
    },
)

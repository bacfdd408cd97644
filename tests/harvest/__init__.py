"""Tests of the harvest plugins against a real second CKAN."""

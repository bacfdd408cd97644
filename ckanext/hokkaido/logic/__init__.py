"""The hokkaido plugin's actions, auth functions, schemas and validators
(the validation helper they share with the other rooms is
:mod:`ckanext.hokkaido.validation`)."""

# ckanext-hokkaido: the two commands of README.md and their helpers.
#   make demo   set up, start the services and serve the portal on :5000 (gunicorn)
#   make dev    the same with CKAN's development server
#   make prod-local  the same behind nginx as deployed (deploy/nginx/), on :8080
#   make test   set up, start the services and run the test suite
SHELL := /bin/bash
VENV  := .venv
CKAN  := $(VENV)/bin/ckan
PYTEST_ARGS ?=

.PHONY: setup services demo dev prod-local test stop status clean

setup:
	@scripts/setup.sh

services: setup
	@scripts/services.sh start

demo: services
	@scripts/demo.sh

dev: services
	@SERVER=dev scripts/demo.sh

prod-local: services
	@SERVER=nginx scripts/demo.sh

test: services
	@scripts/test.sh $(PYTEST_ARGS)

stop:
	@scripts/services.sh stop

status:
	@scripts/services.sh status

clean: stop
	rm -rf var

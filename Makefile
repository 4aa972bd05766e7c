.PHONY: demo test lint odoo-tests bench i18n
demo:  ## set up everything and serve the demo on http://127.0.0.1:8069 (make demo WORKERS=4: with worker processes)
	ITSC_WORKERS=$(WORKERS) tools/itsc demo
test:  ## set up everything, lint, and run the whole test suite on a fresh database
	tools/itsc test
lint:
	tools/itsc lint
odoo-tests:  ## Odoo's own hr_timesheet and sale_timesheet suites with the addon installed
	tools/itsc odoo-tests
bench:
	tools/itsc bench
i18n:  ## regenerate the .pot and merge new terms into i18n/pl.po (existing translations kept)
	tools/itsc i18n

# KAM Playbook. Two commands matter:  make demo  and  make test.
# Needs only python3 (3.10+); everything else is installed into .venv.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PIP_QUIET ?= -q
export PYTHONHASHSEED := 0
# Keep Jupyter from writing into the user's home during runs.
export JUPYTER_PLATFORM_DIRS := 1

.PHONY: help setup demo test test-lib test-notebooks test-profiles test-workshop workshop template notebooks data dictionary exercises lab pair site bench bench-scale clean

help:
	@echo "make demo   - set up .venv and run the playbook on the bundled data into build/"
	@echo "make test   - set up .venv and run all tests (library, notebooks, nbval)"
	@echo "make lab    - open JupyterLab on the project: chapters in notebooks/, learners' copies in build/exercises/"
	@echo "make site   - the offline course site in build/site/ (chapters, glossary, background; links checked)"
	@echo "make pair   - rewrite the chapters' py:percent pairs (after editing a chapter)"
	@echo "make notebooks - re-execute the chapters in place (after editing one)"
	@echo "make data   - regenerate the bundled sample data (seeded, byte-identical)"
	@echo "make bench  - run the benchmarks (prints figures)"
	@echo "make bench-scale - kam analyse at 50,000 customers x 10 years against the goals"
	@echo "make workshop - serve the workshop app on the bundled data (http://127.0.0.1:8866/)"
	@echo "make test-profiles - every export profile through kam data check, chapters and reports"
	@echo "make test-workshop - the browser test of the workshop app (installs Chromium)"
	@echo "make template - rewrite data/templates/kam_input.xlsx from the schema"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_QUIET) --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/kam demo --out build

test: $(STAMP)
	$(BIN)/kam data dictionary --check
	$(BIN)/kam data template --check
	$(BIN)/kam pair --check
	$(BIN)/python -m pytest -n 2 tests --ignore=tests/browser
	KAM_HEADLESS=1 $(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax notebooks --ignore=notebooks/templates

# Every export profile (kamlib/profiles.py) generated into a temporary folder and run
# through kam data check, kam chapters and kam reports --accounts key (the first
# KAM_PROFILE_REPORTS=8 key accounts; 0 = all); two profiles at a time.
test-profiles: $(STAMP)
	KAM_HEADLESS=1 $(BIN)/python -m pytest -n 2 --profiles -rP -p no:cacheprovider tests/test_profiles_run.py

# Re-execute the committed chapters in place: run them into build/, then copy back.
notebooks: $(STAMP)
	rm -rf build/executed
	$(BIN)/kam chapters --out build/executed
	cp build/executed/[0-9][0-9]_*.ipynb notebooks/
	for f in notebooks/[0-9][0-9]_*.ipynb; do $(BIN)/python -c "import sys; from kamlib.runner import tidy_executed; tidy_executed(sys.argv[1])" $$f || exit 1; done
	$(BIN)/kam pair

# The chapters as text (jupytext py:percent, next to each notebook): a lesson's diff.
pair: $(STAMP)
	$(BIN)/kam pair

# The course as an offline site; exits 1 on a broken link, an outside load or raw TeX.
site: $(STAMP)
	$(BIN)/kam site --out build/site

data: $(STAMP)
	$(BIN)/kam data generate --customers 300 --years 5 --seed 4 --out data/sample --answer-key data/answer_key

# The browser test: Debian's Chromium and Playwright for Python, driven offline (the
# browser is the system's; `playwright install` is never run).
test-workshop: $(STAMP)
	test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	$(BIN)/python -c "import playwright" 2>/dev/null || $(BIN)/python -m pip install $(PIP_QUIET) --disable-pip-version-check "playwright>=1.40"
	$(BIN)/python -m pytest -p no:cacheprovider tests/browser

workshop: $(STAMP)
	$(BIN)/kam workshop --data sample

template: $(STAMP)
	$(BIN)/kam data template

dictionary: $(STAMP)
	$(BIN)/kam data dictionary

exercises: $(STAMP)
	$(BIN)/kam exercises --out build/exercises

# Rooted at the project, so the learners' copies (build/exercises/, written first) are
# reachable next to the chapters; it opens on the notebooks folder.
lab: exercises
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/notebooks

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

# The whole analysis at 50,000 customers x 10 years against the goals (data generated once).
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/bench_scale.py

clean:
	rm -rf build .pytest_cache

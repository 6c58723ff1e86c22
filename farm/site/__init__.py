"""The corrections site (`farm site build` / `farm site serve`).

data.py    what the site shows, gathered from the farm (tracker, artifacts, spend, audit)
pages.py   that data as page text: markdown structure, user text only through safe.py
safe.py    escaping and sanitizing of untrusted text
charts.py  SVG charts made at build time (pygal)
build.py   pages → a docs folder under FARM_HOME (only changed files rewritten) → render
render.py  the only module that knows MkDocs / Material for MkDocs
"""

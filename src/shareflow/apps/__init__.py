"""Page objects of the apps under test: a small class per app, its locators as data (``<app>.yaml``)."""

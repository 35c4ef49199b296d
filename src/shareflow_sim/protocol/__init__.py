"""The virtual farm's Appium protocol: W3C WebDriver and Appium's extensions.

A harness drives the farm's phones with appium-python-client exactly as it
drives real phones through Appium 3 with the UiAutomator2 and XCUITest
drivers: the same routes, payloads, capabilities, units and W3C errors.
Commands run in worker threads; each holds its phone's lock only while it
touches the phone, so every phone of the farm runs concurrently.

``app`` builds the web app from the session service (``service``: sessions,
``capabilities``: new ones, ``faults``: the scenario's) and each area's
commands (``screen``, ``finding``, ``elements``, ``actions``, ``device``,
``lifecycle``, ``settings``, ``contexts``, ``logs``, ``alerts``, ``mobile``;
``unimplemented`` routes),
which take a ``sessions.Call`` and raise ``errors``' W3C errors.
"""

# Voilà configuration of `kam workshop` (loaded with --Voila.config_file_paths=THIS DIR).
# Every page carries the Content-Security-Policy of kamlib.workshop.serve: the browser
# loads nothing from outside the server (Voilà's page template links a CDN stylesheet).
from kamlib.workshop.serve import CONTENT_SECURITY_POLICY

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
c.Voila.tornado_settings = {"headers": {"Content-Security-Policy": CONTENT_SECURITY_POLICY}}

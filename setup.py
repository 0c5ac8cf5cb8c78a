"""Only what pyproject.toml cannot say: the top-level ``resources/`` folder is installed as the
package ``inr_studio.resources`` (icon, .desktop file), so an installed window finds its icon
through importlib.resources. Everything else is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["inr_studio*"]) + ["inr_studio.resources"],
    package_dir={"inr_studio.resources": "resources"},
)

"""The optional C extension (profile_frames/_json_numbers.c); everything else is in
pyproject.toml. Without a C compiler the package installs without it (see native.py)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "profile_frames._json_numbers",
            ["profile_frames/_json_numbers.c"],
            optional=True,
        )
    ]
)

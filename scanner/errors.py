"""The errors of the layers above `chains`; the tree and its root are in `chains.errors`."""

from chains.errors import TaxscanError, UserInputError


class PriceFileError(UserInputError):
    """A price file that cannot be read; the message names the line."""


class ConfigError(UserInputError):
    """A config file that cannot be used; the message names the file and line."""


class StoreError(TaxscanError):
    """The database cannot be opened or written."""

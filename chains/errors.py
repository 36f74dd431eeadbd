"""The one exception tree of taxscan. Its root lives here, in the lowest layer, so that
`chains` raises the same errors it hands up; `scanner.errors` adds the errors of the
layers above.

    TaxscanError                      anything taxscan reports to a user
    ├── UserInputError (ValueError)   bad input: address, chain, file, option
    │   ├── AddressError              malformed or wrongly checksummed address
    │   ├── UnknownChainError         a chain name or id the registry does not know
    │   ├── PriceFileError            a price CSV that cannot be read (names the line)
    │   └── ConfigError               a config file that cannot be used (names the line)
    ├── SourceError (IOError)         a node or explorer failed us
    │   ├── SourceUnavailable         unreachable, timed out, kept failing after retries
    │   ├── SourceRefused             refused us for good: a bad or missing key, a plan limit
    │   └── SourceInconsistent        answered, but the answer cannot be right
    ├── StoreError                    the database cannot be opened or written
    └── DevnetError                   the local chain (anvil) cannot be started or set up

PriceFileError, ConfigError and StoreError are defined in `scanner.errors`. The CLI turns
every TaxscanError into a one-line message and exit code 2.
"""


class TaxscanError(Exception):
    """Base of every error taxscan reports to a user."""


class UserInputError(TaxscanError, ValueError):
    """The user gave input taxscan cannot use."""


class AddressError(UserInputError):
    """A malformed or wrongly checksummed address."""


class UnknownChainError(UserInputError):
    """A chain the registry does not know."""


class SourceError(TaxscanError, OSError):
    """A node or explorer failed."""


class SourceRefused(SourceError):
    """A source that refuses us until something changes: an API key, a plan, a chain."""


class SourceUnavailable(SourceError):
    """A source that cannot be reached or keeps failing after retries."""


class SourceInconsistent(SourceError):
    """A source whose answer contradicts itself or the request."""


class DevnetError(TaxscanError):
    """The local devnet cannot be started or set up."""

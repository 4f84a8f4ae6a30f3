__version__ = "0.1.0"


def user_agent(contact_url: str) -> str:
    """The User-Agent every request carries: the project, and how to reach its operator."""
    return f"sputnik-archive/{__version__} (+{contact_url})"

"""Use cases, with their ports injected: no aiohttp, no aiokafka, no faust."""

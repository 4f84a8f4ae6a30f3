"""Several workers sharing one live crawl through Redis (settings/distributed.py).

- ``keys``: the Redis keys of one crawl run, named after its crawl id.
- ``scheduler``: scrapy-redis's scheduler and duplicate filter, keyed per run.
- ``idle``: keeps a worker open while another one may still add requests.
"""

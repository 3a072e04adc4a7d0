"""`advisor serve`: the advisor in the browser, over a store of each account's history.

The top layer beside advisor.cli (neither imports the other): command.py is the click command
(light imports only), server.py starts uvicorn, app.py holds the Starlette routes, service.py
what the pages do, store.py the database.
"""

"""The chat room: the citizens' chat hub, the queue of chats handed off to an operator, the operators'
desk and the suggestions an operator sees while typing.

Plain objects the web layer drives (:mod:`contact.web.chat` is the citizens' WebSocket,
:mod:`contact.web.operator` the operators' one); they hold sockets and the queue, and persist through
:mod:`contact.store`, but never read the aiohttp app or its keys.

============  =====================================================================================
module        what
============  =====================================================================================
``hub``       the open chat sockets, frame sending with a timeout, limits, the ``handoff`` frame
``handoffs``  the handoff queue (atomic claims, durable in the ``handoffs`` table)
``desk``      the operators' desk: live chats between citizens and operators, inquiry records
``suggest``   ranked answers for an operator while the caller is still talking
============  =====================================================================================
"""

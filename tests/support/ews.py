"""What a loopback EWS server answers with: the SOAP envelope Exchange 2016 writes around a response."""

from __future__ import annotations

HEAD = ('<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
        '<s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" '
        'MinorBuildNumber="6" Version="V2017_07_11" '
        'xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"/></s:Header><s:Body>')
NS = ('xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" '
      'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"')


def envelope(xml: str) -> bytes:
    return (HEAD + xml + "</s:Body></s:Envelope>").encode()


def response(operation: str, messages: list[str]) -> bytes:
    """`operation`Response holding one response message per item (each message's inner XML)."""
    parts = "".join(f'<m:{operation}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError'
                    f"</m:ResponseCode>{inner}</m:{operation}ResponseMessage>" for inner in messages)
    return envelope(f"<m:{operation}Response {NS}><m:ResponseMessages>{parts}</m:ResponseMessages>"
                    f"</m:{operation}Response>")

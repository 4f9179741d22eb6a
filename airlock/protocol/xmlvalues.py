"""Values between XML elements and plain Python, guided by botocore shapes."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from airlock.core.errors import SerializationError

from .timestamps import format_timestamp, parse_timestamp, timestamp_format

XSI = "http://www.w3.org/2001/XMLSchema-instance"
# Output members that travel outside the body.
BESIDE_BODY = ("header", "headers", "statusCode")
# Characters XML 1.0 cannot carry, even as character references.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escaped(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group()):04x}"


def local(tag: str) -> str:
    """A tag or attribute name without its `{namespace}`."""
    return tag.rsplit("}", 1)[-1]


def _scalar_text(shape: Any, value: Any) -> str:
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode()
    if kind == "timestamp":
        moment = value if isinstance(value, datetime) else parse_timestamp(value)
        return str(format_timestamp(moment, timestamp_format(shape, "iso8601")))
    if kind in ("float", "double"):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(float(value)) if not float(value).is_integer() else str(value)
    return str(value)


def set_namespace(element: ET.Element, shape: Any) -> None:
    """Declare the shape's `xmlNamespace` (a URI, or a dict with uri and prefix)."""
    ns = shape.serialization.get("xmlNamespace")
    if isinstance(ns, str):
        element.set("xmlns", ns)
    elif ns:
        prefix = ns.get("prefix")
        element.set(f"xmlns:{prefix}" if prefix else "xmlns", ns["uri"])


def add_members(element: ET.Element, shape: Any, value: dict[str, Any]) -> None:
    """Write a structure's members into `element` (attributes and children)."""
    for name, member in shape.members.items():
        if name not in value or value[name] is None:
            continue
        if member.serialization.get("location") in BESIDE_BODY:
            continue
        item = value[name]
        xml_name = member.serialization.get("name", name)
        if member.serialization.get("xmlAttribute"):
            element.set(xml_name, _scalar_text(member, item))
            continue
        add_value(element, xml_name, member, item)


def add_value(parent: ET.Element, name: str, shape: Any, value: Any) -> None:
    """Append `value` as element(s) called `name` under `parent`."""
    kind = shape.type_name
    if kind == "list":
        member = shape.member
        if shape.serialization.get("flattened"):
            # botocore reads flattened items by the list member's own name.
            item_name = member.serialization.get("name", name)
            for item in value:
                add_value(parent, item_name, member, item)
            return
        element = ET.SubElement(parent, name)
        set_namespace(element, shape)
        item_name = member.serialization.get("name", "member")
        for item in value:
            add_value(element, item_name, member, item)
        return
    if kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        flattened = shape.serialization.get("flattened")
        container = parent if flattened else ET.SubElement(parent, name)
        for key, item in value.items():
            entry = ET.SubElement(container, name if flattened else "entry")
            add_value(entry, key_name, shape.key, key)
            add_value(entry, value_name, shape.value, item)
        return
    element = ET.SubElement(parent, name)
    set_namespace(element, shape)
    if kind == "structure":
        add_members(element, shape, value)
    else:
        element.text = _scalar_text(shape, value)


def read_scalar(shape: Any, text: str, where: str) -> Any:
    """A scalar from its text form (XML element, query parameter, header or URI label)."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
        if kind == "boolean":
            if text.lower() not in ("true", "false"):
                raise ValueError(text)
            return text.lower() == "true"
        if kind == "timestamp":
            return parse_timestamp(text)
        if kind == "blob":
            return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error, OverflowError) as error:
        raise SerializationError(f"Cannot read {text[:40]!r} at '{where}' as a {kind}.") from error
    return text


def read_element(shape: Any, element: ET.Element, where: str = "") -> Any:
    """The value of `element` read as `shape`."""
    kind = shape.type_name
    if kind == "structure":
        return read_members(shape, element, where)
    if kind == "list":
        return [read_element(shape.member, child, where) for child in element]
    if kind == "map":
        return _read_map(shape, list(element), where)
    return read_scalar(shape, element.text or "", where)


def _read_map(shape: Any, entries: list[ET.Element], where: str) -> dict[str, Any]:
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    out: dict[str, Any] = {}
    for entry in entries:
        key = value = None
        for child in entry:
            if local(child.tag) == key_name:
                key = child.text or ""
            elif local(child.tag) == value_name:
                value = read_element(shape.value, child, where)
        if key is not None:
            out[key] = value
    return out


def read_members(shape: Any, element: ET.Element, where: str = "") -> dict[str, Any]:
    """A structure's members from `element`'s attributes and children."""
    out: dict[str, Any] = {}
    children = list(element)
    for name, member in shape.members.items():
        xml_name = member.serialization.get("name", name)
        if member.serialization.get("location"):
            continue
        if member.serialization.get("xmlAttribute"):
            for attr, text in element.attrib.items():
                wanted = xml_name.split(":")[-1]
                if local(attr) == wanted:
                    out[name] = read_scalar(member, text, name)
            continue
        kind = member.type_name
        if kind in ("list", "map") and member.serialization.get("flattened"):
            names = {xml_name}
            if kind == "list" and "name" in member.member.serialization:
                names.add(member.member.serialization["name"])
            matches = [c for c in children if local(c.tag) in names]
            if not matches:
                continue
            if kind == "list":
                out[name] = [read_element(member.member, c, name) for c in matches]
            else:
                out[name] = _read_map(member, matches, name)
            continue
        # A name given on the target shape (not the member) is not always used
        # for the element, so the member's own name is accepted too.
        match = next((c for c in children if local(c.tag) in (xml_name, name)), None)
        if match is not None:
            out[name] = read_element(member, match, name)
    return out


def parse_xml(body: bytes) -> ET.Element:
    """The root element of an XML body, or SerializationError."""
    try:
        return ET.fromstring(body)
    except ET.ParseError as error:
        raise SerializationError(f"The XML you provided was not well-formed: {error}") from error


def to_bytes(root: ET.Element) -> bytes:
    """An XML document with declaration.

    Characters XML cannot carry are written as `\\uXXXX`: a value may quote the
    caller's input (an error message, an echoed marker or prefix), and left raw they
    would make the whole answer unreadable to the client. (S3 keys holding them
    travel exactly with `EncodingType=url`.)
    """
    text = _NOT_XML.sub(_escaped, ET.tostring(root, encoding="unicode"))
    # A raw carriage return would be normalized away by the reader.
    text = text.replace("\r", "&#13;")
    return b'<?xml version="1.0" encoding="UTF-8"?>' + text.encode("utf-8")

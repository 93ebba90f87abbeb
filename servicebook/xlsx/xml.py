"""What every part of the file adapter shares: the OOXML namespaces and relationship types, the
schema sequences that say where a new child element goes, and the one way XML is parsed (no
entities resolved, no network; the parts were checked for a DTD before any read, see
`inspect`)."""

from __future__ import annotations

from lxml import etree

# ---------------------------------------------------------------- namespaces

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"   # SpreadsheetML, transitional
Q = f"{{{NS}}}"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_XM = "http://schemas.microsoft.com/office/excel/2006/main"      # x14 extensions' cell ranges
STRICT_NS = b"http://purl.oclc.org/ooxml/spreadsheetml/main"      # Strict: refused, see inspect
R_ID = f"{{{NS_REL}}}id"

# ---------------------------------------------------------------- relationship and content types

REL_WORKSHEET = NS_REL + "/worksheet"
REL_STYLES = NS_REL + "/styles"
REL_SHARED_STRINGS = NS_REL + "/sharedStrings"
REL_CALC_CHAIN = NS_REL + "/calcChain"
REL_OFFICE_DOCUMENT = NS_REL + "/officeDocument"
REL_TABLE = NS_REL + "/table"
REL_RIBBON = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

# ---------------------------------------------------------------- schema sequences (ECMA-376 part 1, sml.xsd)

# CT_Worksheet
WORKSHEET_ORDER = ["sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
                   "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
                   "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
                   "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
                   "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
                   "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects",
                   "controls", "webPublishItems", "tableParts", "extLst"]
# CT_Workbook
WORKBOOK_ORDER = ["fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
                  "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
                  "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
                  "fileRecoveryPr", "webPublishObjects", "extLst"]
# CT_Stylesheet
STYLESHEET_ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                    "tableStyles", "colors", "extLst"]

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, PARSER)


def insert_in_order(parent: etree._Element, element: etree._Element, order: list[str]) -> etree._Element:
    """Put `element` where its schema's sequence (`order`, by local name) says it goes."""
    rank = order.index(etree.QName(element).localname)
    for index, child in enumerate(parent):
        local = etree.QName(child).localname if isinstance(child.tag, str) else ""
        if local in order and order.index(local) > rank:
            parent.insert(index, element)
            return element
    parent.append(element)
    return element

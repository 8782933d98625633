# Writes openpyxl.xlsx: the 1904 date system, inline strings, a blank and a repeated header,
# a gap, a value beyond the header, an error value, a formula with its cached text.
import datetime
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

wb = Workbook()
wb.epoch = CALENDAR_MAC_1904
ws = wb.active
ws.title = "Data"
ws.append(["name", "when", None, "name", "count"])
ws.append(["alpha", datetime.datetime(2024, 3, 1, 13, 45), "x", "dup", 10])
ws.append(["beta", datetime.date(2024, 2, 29), None, None, 2.5])
ws.append([])
ws.append(["gamma", datetime.time(7, 5, 9), "y", "z", -3, "extra"])
ws["E6"] = "#N/A"
ws["E6"].data_type = "e"
ws["A6"] = "delta"
wb.create_sheet("Empty")
wb.save("openpyxl.xlsx")

"""Outputs: the HTML report and the template API, the CSVs, the workbook, the charts' SVG and the
PDF, each written from the stages' results as the present package formats them."""

"""What the shop hands out on paper and in files: shops' legal details, invoices and packing slips, exports."""

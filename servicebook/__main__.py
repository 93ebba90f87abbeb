from servicebook.cli import main

main()

from lr.cli import main

main()

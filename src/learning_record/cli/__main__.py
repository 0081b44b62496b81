from learning_record.cli.main import main

main()

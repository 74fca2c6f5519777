module extism-go-example

go 1.19

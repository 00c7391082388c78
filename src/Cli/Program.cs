Console.WriteLine("outfit");
